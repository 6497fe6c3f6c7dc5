"""The assemble stage: the routing budget, the corpus map, the prompt layouts (full, retrieve, map, reduce) with
corpus text marked as data, and the record of what was sent where (cache state)."""
