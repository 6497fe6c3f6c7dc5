"""Embedding on a Ray cluster: ``docintel index PATH --ray ADDRESS``.

The chunks that need vectors (only new chunk texts: the corpus index and the shared embedding cache decide that, as
for local embedding) go to Ray Data as a dataset and are embedded by ``map_batches`` over a pool of actors, each
holding the same embedding model as the local path (same runtime, same model id), so the vectors are the local ones.
Queries are still embedded locally: one short text does not pay a cluster round trip.

``ADDRESS`` is what ``ray.init`` takes: ``auto`` (the cluster in ``$RAY_ADDRESS`` or the one this machine belongs
to), ``HOST:PORT`` of a head node, ``ray://HOST:10001`` (Ray Client), or ``local`` (start a Ray on this machine,
for trying it out). Every node needs docintel installed; the driver passes ``DOCINTEL_HOME``, the embedding model
and runtime to the workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from docintel.errors import BackendError, MissingExtraError

if TYPE_CHECKING:
    import numpy as np

    from docintel.index.embedder import Embedder, EmbedProgress

# Environment the workers need to build the same embedder as the driver.
FORWARDED_ENV = (
    "DOCINTEL_HOME",
    "DOCINTEL_EMBED_MODEL",
    "DOCINTEL_EMBEDDER",
    "DOCINTEL_EMBED_PRECISION",
    "HF_HUB_OFFLINE",
)
BATCH_SIZE = 128


def _ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise MissingExtraError("ray", "ray") from e
    return ray


class _EmbedBatch:
    """The Ray Data actor: loads the embedder once, then embeds batches of ``{"i", "text"}`` rows."""

    def __init__(self, model: str | None, kind: str | None) -> None:
        from docintel.index.embedder import get_embedder

        self.embedder = get_embedder(model, kind)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        vectors = self.embedder.embed([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vector": list(vectors), "model_id": [self.embedder.model_id] * len(vectors)}


def _actor_class(model: str | None, kind: str | None) -> type:
    """The actor class with its model baked in (no constructor arguments in Ray's object store: an actor restarted
    after a node loss can always be rebuilt)."""

    class EmbedBatch(_EmbedBatch):
        def __init__(self) -> None:
            super().__init__(model, kind)

    return EmbedBatch


class RayEmbedder:
    """An Embedder whose ``embed`` runs on a Ray cluster; ``model_id``, ``dimension`` and ``embed_query`` are the
    local embedder's, so an index built this way is the same index."""

    def __init__(
        self,
        local: Embedder,
        address: str = "auto",
        *,
        model: str | None = None,
        kind: str | None = None,
        actors: int | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        from docintel.index.embedder import requested_kind

        self.local = local
        self.model_id = local.model_id
        self.address = address
        self.model = model
        self.kind = requested_kind(kind)  # the workers build the same runtime as this machine, whatever their env
        self.actors = actors
        self.batch_size = batch_size

    @property
    def dimension(self) -> int:
        return self.local.dimension

    def embed_query(self, text: str) -> np.ndarray:
        return self.local.embed_query(text)

    def _connect(self) -> Any:
        ray = _ray()
        if ray.is_initialized():
            return ray
        env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
        address = None if self.address == "local" else self.address
        try:
            ray.init(
                address=address,
                runtime_env={"env_vars": env},
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except ConnectionError as e:
            raise BackendError(
                f"no Ray cluster at {self.address!r} ({e}); start one with `ray start --head` or pass its address"
            ) from None
        return ray

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        ray = self._connect()
        # docintel reports its own progress; Ray Data's progress lines and INFO logs would interleave with it.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        ray.data.DataContext.get_current().enable_progress_bars = False
        actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
        dataset = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        embedded = dataset.map_batches(
            _actor_class(self.model, self.kind),
            batch_size=self.batch_size,
            compute=ray.data.ActorPoolStrategy(size=actors),
            batch_format="numpy",
        )
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        done = 0
        for batch in embedded.iter_batches(batch_size=self.batch_size, batch_format="numpy"):
            models = set(batch["model_id"])
            if models != {self.model_id}:
                raise BackendError(
                    f"the Ray workers embed with {', '.join(sorted(models))}, this machine with {self.model_id}; "
                    "install the same docintel and model on every node"
                )
            out[np.asarray(batch["i"], dtype=np.int64)] = np.stack(batch["vector"]).astype(np.float32)
            done += len(batch["i"])
            if progress:
                progress(done, len(texts))
        return out
