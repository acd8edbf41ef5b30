// Program.cs calls builder.AddSandbox() / app.MapSandbox() without a using of its own for this folder.
global using Butterbase.Portal.Sandbox;
