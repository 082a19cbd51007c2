"""The form: settings widgets and `nst.Settings`, presets, uploads and the brush, and what fills the form again."""
