import { render } from 'preact';
import { App } from './app.tsx';

// The newsroom: one Preact app over the JSON API; the server sends the same shell for every /admin path.
render(<App />, document.getElementById('admin-root')!);
