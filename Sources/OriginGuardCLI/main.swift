print("origin-guard")
