/// Waits until `condition` holds, checking it every few milliseconds, for at most `limit`;
/// whether it held.
///
/// For tests that must know a concurrent part has reached a state (a producer is parked, a
/// server has written a file) before they act or assert. The condition is the signal: the test
/// goes on the moment it holds, and a state never reached fails after `limit` instead of being
/// asserted after a fixed, hopeful wait. The default limit is long (2 minutes, under any suite's
/// time limit) because in a full parallel run on two cores other tests can hold both threads of
/// the cooperative pool for tens of seconds, and the part being waited for runs on that pool too.
public func eventually(
    within limit: Duration = .seconds(120),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
}
