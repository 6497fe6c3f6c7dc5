"""Citations: ids in an answer checked against the spans sent, and the one labelling path for spans."""
