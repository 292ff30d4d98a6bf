import Testing

@testable import DataDistModel

@Suite struct TransferStripesTests {
    @Test func smallPayloadsAndKOfOneStayOnOneStream() {
        #expect(TransferStripes.streamCount(payloadBytes: 64, frameSize: 16, stripeBytes: 64, maxStreams: 4) == 1)
        #expect(TransferStripes.streamCount(payloadBytes: 65, frameSize: 16, stripeBytes: 64, maxStreams: 1) == 1)
        #expect(TransferStripes.streamCount(payloadBytes: 0, frameSize: 16, stripeBytes: 1, maxStreams: 4) == 1)
        let one = TransferStripes.plan(payloadBytes: 100, frameSize: 16, stripeBytes: 1000, maxStreams: 8)
        #expect(one.shares == [0..<100])
    }

    @Test func oneStreamPerStartedStripeUpToKAndTheFrameCount() {
        // 2.5 stripes → 3 streams; capped by K; capped by the frame count.
        #expect(TransferStripes.streamCount(payloadBytes: 250, frameSize: 10, stripeBytes: 100, maxStreams: 8) == 3)
        #expect(TransferStripes.streamCount(payloadBytes: 250, frameSize: 10, stripeBytes: 100, maxStreams: 2) == 2)
        #expect(TransferStripes.streamCount(payloadBytes: 250, frameSize: 100, stripeBytes: 10, maxStreams: 8) == 3)
    }

    @Test func sharesAreWholeFramesContiguousAndCoverThePayload() throws {
        for (payload, frame, count) in [(1000, 64, 4), (1024, 64, 4), (1025, 64, 3), (5 << 20, 1 << 20, 4), (7, 1, 7)] {
            let s = try TransferStripes(payloadBytes: payload, frameSize: frame, count: count)
            #expect(s.count == count)
            #expect(s.shares.first?.lowerBound == 0)
            #expect(s.payloadBytes == payload)
            for (a, b) in zip(s.shares, s.shares.dropFirst()) {
                #expect(a.upperBound == b.lowerBound)
                #expect(a.upperBound % frame == 0, "a share ends on a frame boundary")
                #expect(!a.isEmpty)
            }
            // Frames are dealt evenly: share sizes differ by at most one frame.
            let frames = s.shares.map { ($0.count + frame - 1) / frame }
            #expect(frames.max()! - frames.min()! <= 1)
        }
        // 5 frames over 4 streams: the first share gets the extra frame.
        #expect(
            try TransferStripes(payloadBytes: 5 << 20, frameSize: 1 << 20, count: 4).shares.map(\.count) == [
                2 << 20, 1 << 20, 1 << 20, 1 << 20,
            ]
        )
    }

    @Test func countsAPayloadCannotCarryAreMalformed() {
        #expect(throws: APIError.self) { try TransferStripes(payloadBytes: 100, frameSize: 64, count: 3) }
        #expect(throws: APIError.self) { try TransferStripes(payloadBytes: 100, frameSize: 64, count: 0) }
        #expect(throws: APIError.self) {
            try TransferStripes(payloadBytes: 1 << 20, frameSize: 1, count: 9, maxCount: 8)
        }
        #expect((try? TransferStripes(payloadBytes: 0, frameSize: 64, count: 1))?.shares == [0..<0])
    }

    @Test func piecesCutRegionsAtTheShareBoundaries() {
        let lengths = [10, 0, 5, 20]
        let pieces = TransferStripes.pieces(of: lengths, covering: 8..<17)
        #expect(pieces.map(\.region) == [0, 2, 3])
        #expect(pieces.map(\.range) == [8..<10, 0..<5, 0..<2])
        #expect(TransferStripes.pieces(of: lengths, covering: 0..<35).map(\.range) == [0..<10, 0..<5, 0..<20])
        #expect(TransferStripes.pieces(of: lengths, covering: 15..<15).isEmpty)
    }

    @Test func theOfferTravelsOnlyWhenStripingIsOn() throws {
        #expect(StripeOffer.of(streamsPerTransfer: 1, stripeBytes: 1 << 20) == nil)
        let offer = try #require(StripeOffer.of(streamsPerTransfer: 4, stripeBytes: 1 << 20))
        let geometry = TransferFixture.geometry(.cache)
        let key = CacheKeyByID(clusterID: 1, cacheID: 2, batchIndex: 0)
        let plain = PullRequest(
            operation: .pullCache(PullCacheOptions(batchIndex: 0, size: 8)),
            selector: .byID(key),
            dstGeometry: geometry,
            deviceCount: 1,
            timeoutMs: 5
        )
        #expect(plain.json.objectValue?["streams"] == nil, "K = 1 sends the request unchanged")
        var striped = plain
        striped.striping = offer
        let back = try PullRequest.decode(striped.json, defaultTimeoutMs: 1)
        #expect(back.striping == offer)
        let preamble = PullPreamble(srcGeometry: geometry, srcSlot: 0, transferID: nil, payloadBytes: 8, frameSize: 4)
        #expect(preamble.json.objectValue?["streams"] == nil, "a single stream's preamble is unchanged")
        var many = preamble
        many.streams = 2
        many.streamID = "abc"
        let decoded = try PullPreamble.decode(many.json)
        #expect(decoded.streams == 2 && decoded.streamID == "abc")
        let stream = try PullStreamRequest.decode(PullStreamRequest(streamID: "abc", index: 3).json)
        #expect(stream == PullStreamRequest(streamID: "abc", index: 3))
        let plan = PushPlan(transferID: "t", dstGeometry: geometry, dstSlot: 0, payloadBytes: 8, frameSize: 4)
        #expect(plan.json.objectValue?["streams"] == nil)
        #expect(
            try PushPlan.decode(
                PushPlan(transferID: "t", dstGeometry: geometry, dstSlot: 0, payloadBytes: 8, frameSize: 4, streams: 2)
                    .json
            ).streams == 2
        )
    }
}
