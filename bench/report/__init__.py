"""Reports: summary tables (Markdown, CSV, LaTeX) built from long-form metric records."""
