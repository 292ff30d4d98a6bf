import Testing

@Test func placeholderHTTPCoreTests() {}
