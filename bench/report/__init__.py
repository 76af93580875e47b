"""Reports: the run summary, paper tables, rank statistics, figures and the HTML page, from long-form metric records."""
