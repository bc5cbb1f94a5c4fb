"""Streamlit-only helpers shared by the pages: page frame and menu, sidebar filters, French
formats and cached accessors to the domain (`cpms_metrics`)."""
