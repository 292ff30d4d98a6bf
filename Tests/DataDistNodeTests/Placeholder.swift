import Testing

@Test func placeholderDataDistNodeTests() {}
