print("perch: not yet")
