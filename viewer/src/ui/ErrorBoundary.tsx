import { Component, type ErrorInfo, type ReactNode } from 'react';

/** A bug in a panel shows what broke and a way back, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('viewer crashed', error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="crash" role="alert">
        <h2>The viewer hit a bug</h2>
        <pre>{this.state.error.stack ?? this.state.error.message}</pre>
        <button onClick={() => this.setState({ error: null })}>Try again</button>{' '}
        <button onClick={() => location.reload()}>Reload</button>
      </div>
    );
  }
}
