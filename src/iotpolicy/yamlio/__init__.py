"""YAML as the register holds it: nodes (no dependencies), libyaml loading, ruamel round trip,
the line merge of an edit."""
