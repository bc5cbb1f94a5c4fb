"""The panels of the pages, one module per page panel: `common` (messages, links to a case),
`entry` (Saisie), `follow_up` (Suivi des dossiers), `imports` (Import), `quality` (Qualité des
données) and `drilldown` (the cases behind a chart's point). Reads go through `ui.data`."""
