"""Languages of the node: gettext catalogues (Babel), the reader's locale, locale-aware formats.

Pages, problem documents, emails and the CLI all translate through :mod:`accord.i18n.translate`;
the locale in effect is a context variable set once per request (or once per CLI run).
"""
