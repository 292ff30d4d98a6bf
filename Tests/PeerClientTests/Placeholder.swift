import Testing

@Test func placeholderPeerClientTests() {}
