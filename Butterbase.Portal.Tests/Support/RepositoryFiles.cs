namespace Butterbase.Portal.Tests.Support;

/// <summary>The repository's own files, for tests that hold docs and code to each other.</summary>
public static class RepositoryFiles
{
    /// <summary>The folder holding `Butterbase.Portal.sln`, found upwards from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Butterbase.Portal.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Butterbase.Portal.sln above {AppContext.BaseDirectory}.");
    }

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    private static readonly HashSet<string> SkippedFolders = new(StringComparer.Ordinal)
        { "node_modules", "bin", "obj", "dist", ".git", "artifacts", "TestResults" };

    /// <summary>Files under <paramref name="folder"/> (relative to the root) with one of <paramref name="extensions"/>, skipping build output and packages.</summary>
    public static IEnumerable<string> Files(string folder, params string[] extensions)
    {
        var start = Path.Combine(Root, folder);
        if (!Directory.Exists(start)) yield break;
        var pending = new Stack<string>([start]);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var sub in Directory.EnumerateDirectories(dir))
                if (!SkippedFolders.Contains(Path.GetFileName(sub))) pending.Push(sub);
            foreach (var file in Directory.EnumerateFiles(dir))
                if (extensions.Any(e => file.EndsWith(e, StringComparison.Ordinal))) yield return file;
        }
    }

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');
}
