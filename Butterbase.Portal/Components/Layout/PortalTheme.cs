using MudBlazor;

namespace Butterbase.Portal.Components.Layout;

/// <summary>
/// The portal's colours. Every text colour here (and every "contrast text" on a filled chip or button) meets WCAG's
/// 4.5:1 against the background it is drawn on: MudBlazor's default success (#00c853) made 2.2:1 on white, which the
/// axe run in Butterbase.E2E (AccessibilityFlowTests) reports as a serious violation. Dark follows the system's preference
/// (MainLayout).
/// </summary>
public static class PortalTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b3fd6",   // 6.7:1 on white
            Secondary = "#6b7280", // 4.6:1 on the drawer
            Success = "#2e7d32",   // 5.1:1
            Error = "#c62828",     // 5.6:1
            Warning = "#b45309",   // 5.0:1
            Info = "#0277bd",      // 4.8:1
            AppbarBackground = "#1f1b2e",
            DrawerBackground = "#faf9fd",
            Background = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            // Light tints on a dark surface; filled chips and buttons carry dark text (each pair ≥ 6.7:1).
            Primary = "#b3a4ff",
            PrimaryContrastText = "#1e1e2a",
            Secondary = "#a6a6b3",
            SecondaryContrastText = "#1e1e2a",
            Success = "#66bb6a",
            SuccessContrastText = "#1e1e2a",
            Error = "#ef9a9a",
            ErrorContrastText = "#1e1e2a",
            Warning = "#ffb74d",
            WarningContrastText = "#1e1e2a",
            Info = "#81d4fa",
            InfoContrastText = "#1e1e2a",
            TextPrimary = "#ececf3",
            TextSecondary = "#b4b4c0",
            AppbarBackground = "#15131f",
            DrawerBackground = "#1e1e2a",
            Background = "#1e1e2a",
            Surface = "#27273a",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "6px" },
    };
}
