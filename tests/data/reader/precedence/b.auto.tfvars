e = "b.auto"
f = "b.auto"
