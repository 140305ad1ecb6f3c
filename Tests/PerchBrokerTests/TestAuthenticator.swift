import PerchBroker
import PerchCodec

/// A tiny challenge-response for enhanced-authentication tests.
///
///     "CR":    CONNECT data = user name ─▶ AUTH 0x18 "nonce-<n>" ─▶ client answers the
///              reversed nonce ─▶ success (final data "ok"); anything else ─▶ failure
///     "TOKEN": CONNECT data "secret" ─▶ success at once (no AUTH round); else failure
struct TestAuthenticator: Authenticator {
    func begin(method: String, clientID: String, username: String?) -> (any AuthenticationExchange)? {
        switch method {
        case "CR": return ChallengeResponse()
        case "TOKEN": return Token()
        default: return nil
        }
    }

    struct ChallengeResponse: AuthenticationExchange {
        var challenge: [UInt8]?
        mutating func step(_ data: [UInt8]?) -> AuthenticationStep {
            guard let sent = challenge else {
                let nonce = bytes("nonce-\(data?.count ?? 0)")
                challenge = nonce
                return .continue(nonce)
            }
            return data == Array(sent.reversed()) ? .success(bytes("ok")) : .failure
        }
    }

    struct Token: AuthenticationExchange {
        mutating func step(_ data: [UInt8]?) -> AuthenticationStep {
            data == bytes("secret") ? .success(nil) : .failure
        }
    }
}

func authProperties(_ method: String?, _ data: [UInt8]?) -> Properties {
    var properties = Properties()
    properties.authenticationMethod = method
    properties.authenticationData = data
    return properties
}

func authPacket(_ reason: ReasonCode, _ method: String?, _ data: [UInt8]?) -> Packet {
    .auth(Auth(reason: reason, properties: authProperties(method, data)))
}
