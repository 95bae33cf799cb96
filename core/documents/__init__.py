"""Stage 6, documents: generated documents that people read.

Owns the sign-off document of `rules docs` (`docgen`, with `docrender`, `docchart` and
`docwords`), the FHIR Questionnaire export (`questionnaire`) and the hook reference generated
from the hook specifications (`hookdoc`). May import every stage below it; a document states a
guarantee only when the analysis established it.
"""
