/// libFuzzer target: the decoders of peer-protocol messages (DataDistModel) — link offer, peer identity, link
/// notice, transfer side description — fed JSON parsed from the input. They take untrusted bytes from a peer:
/// never trap, and whatever decodes must re-encode to a value that decodes to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func peerMessagesFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    if let offer = try? PeerLinkOffer.decode(value) {
        guard let back = try? PeerLinkOffer.decode(offer.json), back == offer else {
            fuzzFail("link offer round trip")
        }
    }
    if let identity = PeerIdentity.decode(value) {
        guard PeerIdentity.decode(identity.json) == identity else { fuzzFail("identity round trip") }
    }
    if let notice = try? PeerLinkNotice.decode(value) {
        guard let back = try? PeerLinkNotice.decode(notice.json), back == notice else {
            fuzzFail("link notice round trip")
        }
    }
    // The typed transfer messages a peer sends (PullRequest, PushPrepare) and an owner answers (PullPreamble,
    // PushPlan): whatever decodes must re-encode to the same message.
    if let m = try? PullRequest.decode(value, defaultTimeoutMs: 1000) {
        guard let back = try? PullRequest.decode(m.json, defaultTimeoutMs: 1000),
            back.json.serialized == m.json.serialized
        else {
            fuzzFail("pull request round trip")
        }
    }
    if let m = try? PullPreamble.decode(value) {
        guard let back = try? PullPreamble.decode(m.json), back.json.serialized == m.json.serialized else {
            fuzzFail("pull preamble round trip")
        }
    }
    if let m = try? PushPrepare.decode(value, defaultTimeoutMs: 1000) {
        guard let back = try? PushPrepare.decode(m.json, defaultTimeoutMs: 1000),
            back.json.serialized == m.json.serialized
        else {
            fuzzFail("push prepare round trip")
        }
    }
    if let m = try? PushPlan.decode(value) {
        guard let back = try? PushPlan.decode(m.json), back.json.serialized == m.json.serialized else {
            fuzzFail("push plan round trip")
        }
    }
    if let side = try? TransferSide.decode(value) {
        guard let back = try? TransferSide.decode(side.json), back == side else {
            fuzzFail("transfer side round trip")
        }
    }
    return 0
}
