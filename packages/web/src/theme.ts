import { createTheme } from "@mantine/core";

/** Dense, professional: small default sizes, compact tables. */
export const theme = createTheme({
  primaryColor: "blue",
  defaultRadius: "sm",
  fontSizes: { xs: "0.75rem", sm: "0.8125rem", md: "0.875rem", lg: "1rem", xl: "1.125rem" },
  components: {
    Button: { defaultProps: { size: "xs" } },
    TextInput: { defaultProps: { size: "xs" } },
    PasswordInput: { defaultProps: { size: "xs" } },
    Textarea: { defaultProps: { size: "xs" } },
    Select: { defaultProps: { size: "xs" } },
    MultiSelect: { defaultProps: { size: "xs" } },
    NumberInput: { defaultProps: { size: "xs" } },
    Autocomplete: { defaultProps: { size: "xs" } },
    SegmentedControl: { defaultProps: { size: "xs" } },
    Table: { defaultProps: { verticalSpacing: 4, horizontalSpacing: "xs", fz: "sm" } },
    Badge: { defaultProps: { size: "sm", radius: "sm" } },
  },
});
