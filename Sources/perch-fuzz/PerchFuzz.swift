// perch-fuzz: libFuzzer harnesses for the codec and the broker core (see FuzzHarness).
//
//   scripts/fuzz HARNESS [RUNS]                 build with libFuzzer and run (the usual way)
//   perch-fuzz HARNESS [libFuzzer options] DIR   fuzz (as scripts/fuzz builds it, with libFuzzer)
//   perch-fuzz HARNESS FILE...                   replay inputs (with libFuzzer too, or a plain build)
//   perch-fuzz seed HARNESS DIR                  write the seed corpus
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var selected = FuzzHarness.frames

/// Writes a line to standard error.
func warn(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func usage() -> Never {
    let names = FuzzHarness.allCases.map(\.rawValue).joined(separator: "|")
    warn("usage: perch-fuzz \(names) [libFuzzer options | FILE...]\n       perch-fuzz seed \(names) DIR\n")
    exit(2)
}

/// Writes each seed as DIR/seed-N (DIR must exist).
func writeSeeds(_ harness: FuzzHarness, to directory: String) {
    for (index, seed) in harness.seeds.enumerated() {
        let path = "\(directory)/seed-\(index)"
        guard let file = fopen(path, "wb") else {
            warn("perch-fuzz: cannot write \(path): \(String(cString: strerror(errno)))\n")
            exit(1)
        }
        _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
}

/// Runs the harness once on each file (a crash traps with the file named first).
func replay(_ harness: FuzzHarness, files: [String]) {
    for path in files {
        guard let file = fopen(path, "rb") else {
            warn("perch-fuzz: cannot read \(path): \(String(cString: strerror(errno)))\n")
            exit(1)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        fclose(file)
        warn("perch-fuzz: \(harness.rawValue) \(path) (\(bytes.count) bytes)\n")
        bytes.withUnsafeBytes { harness.run($0) }
    }
    print("perch-fuzz: \(files.count) inputs replayed, no finding")
}

/// What the command line asks for, after the harness name has been taken off.
enum Command {
    case seed(FuzzHarness, directory: String)
    case run(FuzzHarness, rest: [String])

    init(_ arguments: [String]) {
        guard arguments.count >= 2 else { usage() }
        if arguments[1] == "seed" {
            guard arguments.count == 4, let harness = FuzzHarness(rawValue: arguments[2]) else { usage() }
            self = .seed(harness, directory: arguments[3])
        } else {
            guard let harness = FuzzHarness(rawValue: arguments[1]) else { usage() }
            self = .run(harness, rest: Array(arguments.dropFirst(2)))
        }
    }
}

#if PERCH_LIBFUZZER
// Built with -sanitize=fuzzer, libFuzzer owns main; these are its two hooks.

/// Picks the harness from argv[1] and removes it, so libFuzzer parses only its own options;
/// `seed` writes the corpus and exits before libFuzzer starts.
@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    guard let vector = argv.pointee else { usage() }
    let arguments = (0..<Int(argc.pointee)).map { String(cString: vector[$0]!) }
    // Processes libFuzzer starts itself (-fork, -merge) get argv without the harness name.
    if let name = getenv("PERCH_FUZZ_HARNESS").map({ String(cString: $0) }), let harness = FuzzHarness(rawValue: name),
       arguments.count < 2 || FuzzHarness(rawValue: arguments[1]) == nil && arguments[1] != "seed" {
        selected = harness
        return 0
    }
    switch Command(arguments) {
    case .seed(let harness, let directory):
        writeSeeds(harness, to: directory)
        exit(0)
    case .run(let harness, _):
        selected = harness
        setenv("PERCH_FUZZ_HARNESS", harness.rawValue, 1)
        for index in 1..<Int(argc.pointee) { vector[index] = vector[index + 1] }
        argc.pointee -= 1
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// The entry point of a plain build, which replays inputs (a type, not top-level code, as a libFuzzer
/// build compiles the target as a library).
@main
enum PerchFuzz {
    static func main() {
        switch Command(CommandLine.arguments) {
        case .seed(let harness, let directory):
            writeSeeds(harness, to: directory)
        case .run(let harness, let files):
            replay(harness, files: files)
        }
    }
}
#endif
