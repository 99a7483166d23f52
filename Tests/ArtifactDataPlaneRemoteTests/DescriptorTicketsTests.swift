import ArtifactDataPlaneLocal
import ArtifactDataPlaneWire
import ArtifactStorage
import Testing

@testable import ArtifactDataPlaneDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's ticket book on its own: single use, bound to the process, expiry, capacity.
@Suite("Descriptor tickets", .timeLimit(.minutes(10)))
struct DescriptorTicketsTests {
    static let peer = PeerCredentials(pid: 100, uid: 1000, gid: 1000)

    static func serve() -> DescriptorServe {
        let descriptor = OwnedDescriptor(open("/dev/null", O_RDONLY | O_CLOEXEC))
        let stamp = StorageChangeStamp(size: 0, changeTimeNanoseconds: 0, identity: [])
        return DescriptorServe(file: OpenedStorageFile(descriptor: descriptor, stamp: stamp), backendID: "default", provesReads: true)
    }

    @Test func aTicketIsRedeemedOnceByTheProcessItWasIssuedTo() throws {
        let tickets = DescriptorTickets()
        let ticket = try #require(tickets.issue(Self.serve(), to: Self.peer))
        #expect(ticket.count == WireProtocol.ticketLength)
        #expect(tickets.redeem(ticket, by: Self.peer) != nil)
        #expect(tickets.redeem(ticket, by: Self.peer) == nil)
        #expect(tickets.count == 0)
    }

    /// Another process of the same user, another user, or unknown credentials: refused, and
    /// the ticket is gone (it cannot be tried again).
    @Test(arguments: [
        PeerCredentials(pid: 101, uid: 1000, gid: 1000),
        PeerCredentials(pid: 100, uid: 1001, gid: 1000),
        nil,
    ])
    func aForeignPeerBurnsTheTicket(_ other: PeerCredentials?) throws {
        let tickets = DescriptorTickets()
        let ticket = try #require(tickets.issue(Self.serve(), to: Self.peer))
        #expect(tickets.redeem(ticket, by: other) == nil)
        #expect(tickets.redeem(ticket, by: Self.peer) == nil)
    }

    @Test func anExpiredTicketIsRefusedAndItsDescriptorDropped() throws {
        let tickets = DescriptorTickets(lifetime: .zero)
        let ticket = try #require(tickets.issue(Self.serve(), to: Self.peer))
        #expect(tickets.redeem(ticket, by: Self.peer) == nil)
        #expect(tickets.count == 0)
    }

    @Test func aFullBookIssuesNoTicket() throws {
        let tickets = DescriptorTickets(capacity: 2)
        #expect(tickets.issue(Self.serve(), to: Self.peer) != nil)
        #expect(tickets.issue(Self.serve(), to: Self.peer) != nil)
        #expect(tickets.issue(Self.serve(), to: Self.peer) == nil)
        tickets.removeAll()
        #expect(tickets.issue(Self.serve(), to: Self.peer) != nil)
    }
}
