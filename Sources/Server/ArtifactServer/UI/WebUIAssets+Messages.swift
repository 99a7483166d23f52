// Plain pages the OpenID sign-in answers with (no script: the CSP allows none inline).
extension WebUIAssets {
    /// After a provider sign-in: moves on to the namespaces with a same-site navigation (a meta
    /// refresh), so the browser sends the new `SameSite=Strict` session cookie along.
    static let continuePage = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="refresh" content="0;url=/ui/">
        <title>Signed in · ArtifactStore</title>
        <link rel="stylesheet" href="/ui/assets/app.css">
        </head>
        <body>
        <header><span class="brand">ArtifactStore</span></header>
        <main id="main"><h1>Signed in</h1><p><a href="/ui/">Continue to the namespaces</a>.</p></main>
        </body>
        </html>

        """

    /// A page saying what failed, `message` escaped, with a way back to the sign-in page.
    static func messagePage(title: String, message: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escape(title)) · ArtifactStore</title>
        <link rel="stylesheet" href="/ui/assets/app.css">
        </head>
        <body>
        <header><span class="brand">ArtifactStore</span></header>
        <main id="main"><h1>\(escape(title))</h1><p id="message">\(escape(message))</p>
        <p><a href="/ui/signin">Back to sign-in</a></p></main>
        </body>
        </html>

        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
