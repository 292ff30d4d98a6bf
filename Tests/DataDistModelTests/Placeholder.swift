import Testing

@Test func placeholderDataDistModelTests() {}
