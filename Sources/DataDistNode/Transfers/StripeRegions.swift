import DataDistModel

/// The memory of one stream of a striped transfer: the part of a transfer's regions (their concatenation is the
/// payload) that holds the stream's share, as views of the same memory — nothing is copied.
enum StripeRegions {
    static func slice(_ regions: [UnsafeRawBufferPointer], _ share: Range<Int>) -> [UnsafeRawBufferPointer] {
        TransferStripes.pieces(of: regions.map(\.count), covering: share).map {
            UnsafeRawBufferPointer(rebasing: regions[$0.region][$0.range])
        }
    }

    static func slice(
        _ regions: [UnsafeMutableRawBufferPointer],
        _ share: Range<Int>
    ) -> [UnsafeMutableRawBufferPointer] {
        TransferStripes.pieces(of: regions.map(\.count), covering: share).map {
            UnsafeMutableRawBufferPointer(rebasing: regions[$0.region][$0.range])
        }
    }
}
