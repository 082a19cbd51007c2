"""How the page looks: theme and style rules, pictures at display size, the scroll to the result."""
