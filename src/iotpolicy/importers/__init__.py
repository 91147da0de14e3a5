"""Bringing records in from other tools' files: spreadsheets of devices, nmap scans, CSAF
advisories, CISA's KEV catalogue. Each importer parses its input and plans drafts; the CLI prints
and writes them."""
