"""Baseline routers for evaluation: always one mode over the whole corpus, with the heuristic's estimates."""

from __future__ import annotations

from dataclasses import replace

from docintel.plan import Mode, Plan
from docintel.routers import RouteRequest
from docintel.routers.heuristic import HeuristicRouter


class _Fixed:
    name = "fixed"
    mode: Mode = "full"

    def route(self, request: RouteRequest) -> Plan:
        forced = replace(request, force_mode=self.mode, scope=(), scope_words=(), scope_stats=None)
        return HeuristicRouter().route(forced)


class AlwaysFull(_Fixed):
    name = "fixed-full"
    mode = "full"


class AlwaysRetrieve(_Fixed):
    name = "fixed-retrieve"
    mode = "retrieve"


class AlwaysMapReduce(_Fixed):
    name = "fixed-map_reduce"
    mode = "map_reduce"
