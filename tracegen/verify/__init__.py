"""`tracegen verify`: the playbook's exit criteria measured on live spans (spans.py reads them,
measures.py computes, judge.py holds them against the blueprint's targets and reports)."""
