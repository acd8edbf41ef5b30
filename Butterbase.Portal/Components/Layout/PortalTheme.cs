using MudBlazor;

namespace Butterbase.Portal.Components.Layout;

public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b3fd6",
            Secondary = "#6b7280",
            AppbarBackground = "#1f1b2e",
            DrawerBackground = "#faf9fd",
            Background = "#ffffff",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
