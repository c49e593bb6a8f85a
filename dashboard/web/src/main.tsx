import { render } from 'preact';
import { App } from './components/app.js';
import { lang } from './i18n/index.js';
import './styles.css';

document.documentElement.lang = lang.value;
const root = document.getElementById('app');
if (root) render(<App />, root);
