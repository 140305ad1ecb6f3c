#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole configuration, password, ACL or PSK file (they are small).
public enum TextFile {
    /// The file's text; nil when it cannot be read (`errno` says why).
    public static func read(_ path: String) -> String? {
        guard let handle = fopen(path, "r") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, handle) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return ferror(handle) != 0 ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
