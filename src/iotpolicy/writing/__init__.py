"""Changing the register: the write transaction (drafts validated as check reads them, then
written atomically under the lock and committed), the add/change/retire edits and their field
tables, and the scaffold of a new register."""
