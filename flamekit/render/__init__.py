"""Renderers: each module turns a Profile (or a graph built from one) into bytes."""
