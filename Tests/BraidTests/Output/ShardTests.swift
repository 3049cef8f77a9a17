import XCTest

@testable import Braid

final class ShardTests: XCTestCase {
    /// Expected values from an independent FNV-1a 64 in Python (run once, 2026-11-25):
    /// python3 -c "def fnv(s):
    ///     h=0xcbf29ce484222325
    ///     for b in s.encode('utf-8'): h^=b; h=(h*0x100000001b3)&0xFFFFFFFFFFFFFFFF
    ///     return h
    /// for s in ['', 'a', 'foobar', 'photos/cat.png', 'stdin', '42', 'été/日本.wav']:
    ///     print(repr(s), hex(fnv(s)), fnv(s)%4, fnv(s)%7)"
    /// The first three hashes are also the published FNV test vectors.
    private let expected: [(id: String, hash: UInt64, of4: Int, of7: Int)] = [
        ("", 0xcbf2_9ce4_8422_2325, 1, 2),
        ("a", 0xaf63_dc4c_8601_ec8c, 0, 5),
        ("foobar", 0x8594_4171_f739_67e8, 0, 6),
        ("photos/cat.png", 0x9cc5_e8aa_cf23_dae6, 2, 5),
        ("stdin", 0x07ce_0cad_53ed_a57d, 1, 3),
        ("42", 0x07ee_7e07_b4b1_9223, 3, 5),
        ("été/日本.wav", 0x27b9_f670_4537_83c4, 0, 3),
    ]

    func test_given_known_ids_then_hash_and_shard_match_the_independent_implementation() throws {
        for (id, hash, of4, of7) in expected {
            XCTAssertEqual(Shard.fnv1a64(id.utf8), hash, id)
            for index in 0..<4 { XCTAssertEqual(try Shard(index: index, count: 4).contains(id), index == of4, id) }
            for index in 0..<7 { XCTAssertEqual(try Shard(index: index, count: 7).contains(id), index == of7, id) }
        }
    }

    func test_given_n_shards_then_every_id_is_in_exactly_one() throws {
        let shards = try (0..<5).map { try Shard(parsing: "\($0)/5") }
        for number in 0..<1000 {
            XCTAssertEqual(shards.filter { $0.contains("item-\(number)") }.count, 1)
        }
    }

    func test_given_bad_text_then_parsing_explains() {
        XCTAssertThrowsError(try Shard(parsing: "4/4")) { error in
            XCTAssertEqual(String(describing: error), "invalid shard '4/4': needs 0 ≤ i < N")
        }
        XCTAssertThrowsError(try Shard(parsing: "1of4")) { error in
            XCTAssertEqual(String(describing: error), "invalid shard '1of4': expected i/N, e.g. 0/4")
        }
        XCTAssertThrowsError(try Shard(parsing: "0/0"))
    }
}
