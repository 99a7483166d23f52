import Testing

@testable import ArtifactStorageS3

/// The S3 backend's own XML reader: S3's documents as S3 and moto write them, and every way a
/// document can be malformed, which must give `nil` (as `XMLParser` failing did) and never a
/// partial tree.
@Suite("S3 XML reader", .timeLimit(.minutes(10)))
struct S3XMLReaderTests {
    private func parse(_ text: String) -> S3XMLElement? {
        S3XMLElement.parse(Array(text.utf8))
    }

    @Test func readsAListingWithNamespaceAndDeclaration() throws {
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name>\
            <IsTruncated>true</IsTruncated><Contents><Key>a/b c</Key><Size>12</Size></Contents>\
            <Contents><Key>d</Key><Size>0</Size></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\
            <NextContinuationToken>tok</NextContinuationToken></ListBucketResult>
            """
        let root = try #require(parse(document))
        #expect(root.name == "ListBucketResult")
        #expect(root.children("Contents").map { $0.text(of: "Key") } == ["a/b c", "d"])
        #expect(root.text(of: "IsTruncated") == "true")
        let page = try #require(S3ListPage(xml: Array(document.utf8)))
        #expect(page.objects.map(\.key) == ["a/b c", "d"])
        #expect(page.objects.map(\.size) == [12, 0])
        #expect(page.commonPrefixes == ["p/"])
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "tok")
    }

    @Test func replacesReferencesAndKeepsCDATAAsIs() throws {
        let root = try #require(
            parse("<Error><Code>A&amp;B</Code><Message>&lt;&gt;&quot;&apos; &#233;&#x1F600;</Message><Key><![CDATA[a<&>b]]></Key></Error>")
        )
        #expect(root.text(of: "Code") == "A&B")
        #expect(root.text(of: "Message") == "<>\"' é😀")
        #expect(root.text(of: "Key") == "a<&>b")
    }

    @Test func dropsPrefixesCommentsAndInstructionsAndIgnoresAttributes() throws {
        let root = try #require(
            parse(
                """
                \u{FEFF}<!-- before --><s3:Result xmlns:s3='urn:x' a="1" b = '2'><!-- inside --><?pi data?>\
                <s3:UploadId>id-1</s3:UploadId><Empty/><Spaced  /></s3:Result><!-- after -->\n
                """
            )
        )
        #expect(root.name == "Result")
        #expect(root.children.map(\.name) == ["UploadId", "Empty", "Spaced"])
        #expect(root.text(of: "UploadId") == "id-1")
        #expect(root.text(of: "Empty") == "")
    }

    @Test func textIsAnElementsOwnCharacterDataWithLineEndsNormalised() throws {
        let root = try #require(parse("<A>one<B>two</B>three\r\nfour\rfive</A>"))
        #expect(root.text == "onethree\nfour\nfive")
        #expect(root.text(of: "B") == "two")
        #expect(parse("<A>   </A>")?.text == "   ")
        #expect(parse("<A/>") == S3XMLElement(name: "A", text: "", children: []))
    }

    @Test(arguments: [
        "",
        "   ",
        "not xml",
        "<A>",
        "<A></B>",
        "<A><B></A></B>",
        "<A></A><B></B>",
        "<A></A>trailing",
        "text<A></A>",
        "<A>&unknown;</A>",
        "<A>&amp</A>",
        "<A>&#0;</A>",
        "<A>&#xD800;</A>",
        "<A>&#x;</A>",
        "<A>&#12a;</A>",
        "<!DOCTYPE A [<!ENTITY e \"x\">]><A>&e;</A>",
        "<A b></A>",
        "<A b=1></A>",
        "<A b=\"1></A>",
        "<A b=\"<\"></A>",
        "<Ab=\"1\"></A>",
        "<A><!-- unterminated </A>",
        "<A><![CDATA[ unterminated </A>",
        "<?xml version=\"1.0\"",
        "<A></A ",
        "< A></A>",
        "<A>x</A><!-- unterminated",
    ])
    func malformedDocumentsAreNil(_ document: String) {
        #expect(parse(document) == nil, "\(document)")
    }

    @Test func invalidUTF8IsNil() {
        #expect(S3XMLElement.parse(Array("<A>".utf8) + [0xC3, 0x28] + Array("</A>".utf8)) == nil)
        #expect(S3XMLElement.parse(Array("<A>".utf8) + [0xFF] + Array("</A>".utf8)) == nil)
    }

    @Test func nestingIsBounded() {
        let depth = S3XMLReader.maximumDepth
        let fits = String(repeating: "<A>", count: depth) + String(repeating: "</A>", count: depth)
        let tooDeep = String(repeating: "<A>", count: depth + 1) + String(repeating: "</A>", count: depth + 1)
        #expect(parse(fits) != nil)
        #expect(parse(tooDeep) == nil)
        // Far deeper than any stack would take recursively: refused, not a crash.
        #expect(parse(String(repeating: "<A>", count: 1_000_000)) == nil)
    }

    @Test func errorDocumentsReachTheStorageErrors() {
        let body = Array("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone &amp; away</Message></Error>".utf8)
        let error = S3ErrorResponse(status: 404, body: body)
        #expect(error.code == "NoSuchKey")
        #expect(error.message == "gone & away")
        #expect(S3ErrorResponse(status: 500, body: Array("<Error><Code>".utf8)).code == "")
    }
}
