/// libFuzzer target: the decoders of peer-protocol messages (DataDistModel) — link offer, peer identity, link
/// notice, transfer side description — fed JSON parsed from the input. They take untrusted bytes from a peer:
/// never trap, and whatever decodes must re-encode to a value that decodes to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func peerMessagesFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    if case .success(let offer) = PeerLinkOffer.decode(value) {
        guard case .success(let back) = PeerLinkOffer.decode(offer.json), back == offer else {
            fuzzFail("link offer round trip")
        }
    }
    if let identity = PeerIdentity.decode(value) {
        guard PeerIdentity.decode(identity.json) == identity else { fuzzFail("identity round trip") }
    }
    if case .success(let notice) = PeerLinkNotice.decode(value) {
        guard case .success(let back) = PeerLinkNotice.decode(notice.json), back == notice else {
            fuzzFail("link notice round trip")
        }
    }
    if case .success(let side) = TransferSide.decode(value) {
        guard case .success(let back) = TransferSide.decode(side.json), back == side else {
            fuzzFail("transfer side round trip")
        }
    }
    return 0
}
