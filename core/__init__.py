"""yanbao.core: what every stage shares, at the bottom of the dependency order.

``records`` (the dataclasses that cross stage boundaries), ``errors`` (the
exception tree), ``settings`` (one :class:`~yanbao.core.settings.Settings`
built at the edge) and ``home`` (the on-disk home: atomic writes, manifest,
write lock).  Nothing here imports a stage (corpus, kg, retrieval) or the
library, service or CLI above them.
"""
