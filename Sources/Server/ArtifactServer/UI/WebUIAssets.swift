/// The web UI's files, embedded in the binary as text so that `artifactstore serve` needs no
/// file beside it and nothing is fetched from another origin.
///
/// Exists as plain HTML, CSS and JavaScript with no build step: the shell page loads one style
/// sheet and one script (``script``, in `WebUIAssets+Script.swift`), which renders every page with
/// `textContent` and DOM nodes, never `innerHTML`, so nothing from the store is ever markup.
enum WebUIAssets {
    /// Every page: the script reads `location.pathname` and renders into `<main>`.
    static let shellHTML = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ArtifactStore</title>
        <link rel="stylesheet" href="/ui/assets/app.css">
        <script src="/ui/assets/app.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header><span class="brand">ArtifactStore</span><nav id="nav" aria-label="Main"></nav></header>
        <main id="main" tabindex="-1"><p>Loading…</p></main>
        <noscript><p>The ArtifactStore web UI needs JavaScript; the API at /v1 works without it.</p></noscript>
        </body>
        </html>

        """

    /// The answer to a path under `/ui` that is no page.
    static let notFoundHTML = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Not found · ArtifactStore</title>
        <link rel="stylesheet" href="/ui/assets/app.css">
        </head>
        <body>
        <header><span class="brand">ArtifactStore</span></header>
        <main id="main"><h1>Page not found</h1><p>There is no such page. <a href="/ui/">Go to the namespaces</a>.</p></main>
        </body>
        </html>

        """
}
