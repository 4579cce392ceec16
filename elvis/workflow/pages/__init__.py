"""The researcher's pages of every request kind, built from the registry (``kinds.py``).

For each registered kind, ``urls.request_kind_pages`` mounts at ``/<kind.url_namespace>/``:
my requests (``list``), a new request (``create``: choose an institution, then the form), the
draft's form (``edit``), the timeline (``detail``) and what it posts (``action``, ``comment``,
``attachments``), the files (``attachment``) and, for kinds with items, the catalogue search
(``specimen-search``).

The templates are the core's (``workflow/request_*.html``) unless the kind's app has its own
(``<app>/list.html``, ``form.html``, ``detail.html``, ``choose_institution.html``), which extend
the core's and fill its blocks. The form is the kind's ``RequestKind.editor`` (a
``RequestEditor``), or the core's default editor of the kind's model.
"""
