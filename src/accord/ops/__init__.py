"""Operations: metrics, structured logs, request ids, rate limits."""
