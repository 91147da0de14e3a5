"""The grammars of the register's text values, with no knowledge of records: dates, versions and
vendor version ranges, names and ids, and what looks like a credential."""
