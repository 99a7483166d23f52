extension WebUIAssets {
    /// The style sheet: system fonts, readable from 390 px (one column, tables scroll) to wide
    /// screens, visible focus for keyboard use, and colours that keep a 4.5:1 contrast.
    static let style = #"""
        :root {
          --fg: #1b1f24;
          --muted: #57606a;
          --bg: #ffffff;
          --line: #d0d7de;
          --accent: #0a58ca;
          --bad: #b42318;
          --ok: #17663a;
          --soft: #f6f8fa;
        }
        * { box-sizing: border-box; }
        body {
          margin: 0;
          font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color: var(--fg);
          background: var(--bg);
        }
        header {
          display: flex;
          flex-wrap: wrap;
          align-items: center;
          gap: .5rem 1.5rem;
          padding: .6rem 1rem;
          border-bottom: 1px solid var(--line);
          background: var(--soft);
        }
        .brand { font-weight: 700; }
        nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; flex: 1; }
        nav .who { margin-left: auto; color: var(--muted); }
        main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        h3, h4 { font-size: 1rem; margin: 1rem 0 .4rem; }
        h3, h4, p, dd, li { overflow-wrap: anywhere; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, main:focus-visible {
          outline: 3px solid #f59e0b;
          outline-offset: 2px;
        }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem .6rem; z-index: 2; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: var(--soft); font-weight: 600; }
        td { overflow-wrap: break-word; }
        td a, td code, dd { unicode-bidi: isolate; }
        tr.bad-row td { background: #fde8e7; color: var(--bad); font-weight: 600; }
        code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; overflow-wrap: anywhere; }
        form.inline, .row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
        label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
        input, select, button {
          font: inherit;
          padding: .35rem .55rem;
          border: 1px solid var(--line);
          border-radius: 4px;
          min-height: 2.2rem;
        }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        a.button { display: inline-block; padding: .4rem .8rem; border: 1px solid var(--accent); border-radius: 4px; }
        a.button { background: var(--accent); color: #fff; text-decoration: none; }
        button.small { padding: .1rem .4rem; min-height: 1.6rem; font-size: .8rem; }
        .status { padding: .5rem .75rem; border-radius: 4px; border: 1px solid var(--line); margin: .5rem 0; background: var(--soft); }
        .status.ok { border-color: var(--ok); color: var(--ok); }
        .status.bad { border-color: var(--bad); color: var(--bad); }
        .secret {
          font-family: ui-monospace, monospace;
          background: #fff8c5;
          padding: .5rem;
          border: 1px solid #d4a72c;
          overflow-wrap: anywhere;
        }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .5rem 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .muted { color: var(--muted); }
        .pager { margin: .5rem 0; }
        @media (max-width: 600px) {
          main { padding: .6rem; }
          dl.facts { grid-template-columns: 1fr; }
          th, td { padding: .3rem; font-size: .85rem; }
        }

        """#
}
