import { useCallback, useEffect, useState } from "react";

export type Loaded<T> = { data: T | null; error: unknown; loading: boolean; reload: () => void };

// Runs `load` when `key` changes; keeps its result or its error.
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown; loading: boolean }>({
    key: "",
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, key, loading: true, error: null }));
    load().then(
      (data) => live && setState({ key, data, error: null, loading: false }),
      (error: unknown) => live && setState({ key, data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.key === key ? state.data : null, error: state.error, loading: state.loading, reload };
}
