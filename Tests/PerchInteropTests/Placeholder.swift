import Testing
import CMosquitto

@Test func libmosquittoLinks() { var major: Int32 = 0, minor: Int32 = 0, rev: Int32 = 0; _ = mosquitto_lib_version(&major, &minor, &rev); #expect(major >= 2) }
