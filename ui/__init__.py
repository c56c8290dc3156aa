"""Streamlit-side helpers shared by the pages: database and viewer, cached queries, charts."""
