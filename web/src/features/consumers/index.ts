export { KeysPage } from './components/keys-page';
export { UsagePage } from './components/usage-page';
