import Glibc

// perch-bench: Perch's own MQTT load generator (see Bench.swift for the loop, BenchOptions
// for the modes). Exit status 0 on a completed run, 1 on bad options or failed setup.
switch BenchOptions.parse(Array(CommandLine.arguments.dropFirst())) {
case let .failure(error):
    print("perch-bench: \(error.message)\n\(BenchOptions.usage)")
    exit(2)
case let .success(options):
    if options.selfTest { exit(SelfTest.run() ? 0 : 1) }
    signal(SIGPIPE, SIG_IGN)
    let bench: Bench
    do {
        bench = try Bench(options: options)
    } catch {
        print("perch-bench: --tls: \(error)")
        exit(2)
    }
    let completed = bench.run()
    bench.resetAll()
    guard completed else { exit(1) }
    bench.printResult()
    exit(0)
}
